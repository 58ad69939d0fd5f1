# expect: error reason=timeout
# says: infinite loop
def add_batch_dim(image):
    while True:
        pass


def remove_batch_dim(batch):
    while True:
        pass
