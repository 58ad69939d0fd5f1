# Lists every mount point of the worker's root that is not read-only.
with open("/proc/self/mountinfo") as handle:
    for line in handle:
        fields = line.split()
        if "ro" not in fields[5].split(","):
            print("WRITABLE-MOUNT:", fields[4], flush=True)


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    return batch.squeeze(0)
