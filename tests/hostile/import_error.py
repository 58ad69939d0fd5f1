# expect: error reason=import
# says: ModuleNotFoundError


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch[0]
