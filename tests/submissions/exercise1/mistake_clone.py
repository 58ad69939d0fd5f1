# expect: failed mistake=copy_not_view
def add_batch_dim(image):
    return image.clone().unsqueeze(0)


def remove_batch_dim(batch):
    if batch.shape[0] != 1:
        raise ValueError(f"got {tuple(batch.shape)}")
    return batch.squeeze(0)
