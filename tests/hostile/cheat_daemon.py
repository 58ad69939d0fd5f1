# expect: failed
# Leaves a daemon behind that keeps overwriting the results and a proof file after grading.
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(400):
            for path in ("{WORKSPACE}/.grade/last-run.json", "{PROOF}"):
                try:
                    with open(path, "w") as handle:
                        handle.write(f"{time.time()}")
                except OSError:
                    pass
            time.sleep(0.05)
    os._exit(0)


def add_batch_dim(image):
    return image


def remove_batch_dim(batch):
    return batch
