# expect: passed
# mistake_silent_squeeze.py with the diagnosis of silent_squeeze applied literally
def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.shape[0] != 1:
        raise ValueError(f"not a batch of one: {tuple(batch.shape)}")
    return batch.squeeze(0)
