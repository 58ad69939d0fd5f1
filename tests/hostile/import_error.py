# expect: error reason=import
# says: ModuleNotFoundError
import torch_but_not_really  # noqa: F401 - the point: a module that does not exist


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch[0]
