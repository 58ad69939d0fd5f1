# expect: passed
# mistake_assert.py with the diagnosis of assert_not_raise applied literally
def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.shape[0] != 1:
        raise ValueError(f"got {tuple(batch.shape)}")
    return batch.squeeze(0)
