# expect: error reason=import
# says: No space left on device

block = b"x" * (1024 * 1024)
for n in range(300):  # 300 files of up to 1 MiB: bounded, so an unisolated run cannot fill a disk
    with open(f"filler-{n}.bin", "wb") as handle:
        handle.write(block)
