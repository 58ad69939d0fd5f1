# expect: failed mistake=silent_squeeze
def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch.squeeze(0)
