# expect: passed
# mistake_unsqueeze_last.py with the diagnosis of unsqueeze_last applied literally
def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.shape[0] != 1:
        raise ValueError(f"got {tuple(batch.shape)}")
    return batch.squeeze(0)
