# expect: failed
# says: RecursionError
def add_batch_dim(image):
    return add_batch_dim(image)


def remove_batch_dim(batch):
    return remove_batch_dim(batch)
