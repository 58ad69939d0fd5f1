# expect: failed
def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    """Not yet."""
    raise NotImplementedError
