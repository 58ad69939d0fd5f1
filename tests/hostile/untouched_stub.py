# expect: not_started
def add_batch_dim(image):
    """Still the stub."""
    raise NotImplementedError


def remove_batch_dim(batch):
    raise NotImplementedError()
