# expect: failed mistake=error_without_shape
def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.shape[0] != 1:
        raise ValueError("not a batch of one")
    return batch.squeeze(0)
