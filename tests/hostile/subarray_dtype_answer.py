# expect: failed
# says: numpy.ndarray
# A 60-byte answer shaped like the codec's NumPy encoding but naming a subarray dtype: a grader
# that parsed the dtype would expand one float into a 5000 x 5000 array (200 MB) per value.
import torch


def add_batch_dim(image):
    return {"__ndarray__": torch.zeros(4), "dtype": "(5000,5000)f8"}


def remove_batch_dim(batch):
    return {"__ndarray__": torch.zeros(4), "dtype": "(5000,5000)f8"}
