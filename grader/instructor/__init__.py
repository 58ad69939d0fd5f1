"""An instructor's tools: `grade verify` (and --mutants), the CI kit (GitHub, Gradescope) and
private checks folders."""
