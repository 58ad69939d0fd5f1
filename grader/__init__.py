"""torch-grader: grades PyTorch exercises in a sandbox and explains what is wrong."""

__version__ = "0.1.0"
