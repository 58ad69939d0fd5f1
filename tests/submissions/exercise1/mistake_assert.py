# expect: failed mistake=assert_not_raise
def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    assert batch.shape[0] == 1, f"got {tuple(batch.shape)}"
    return batch.squeeze(0)
