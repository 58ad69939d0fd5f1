# expect: error reason=output
def add_batch_dim(image):
    while True:
        print("spam " * 1000)


def remove_batch_dim(batch):
    return batch[0]
