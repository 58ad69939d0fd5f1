# expect: error reason=syntax
# says: line 6
def add_batch_dim(image):
    return image.unsqueeze(0)

def remove_batch_dim(batch)
    return batch[0]
