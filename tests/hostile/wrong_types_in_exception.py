# expect: failed
# says: raised
# An exception described with fields of the wrong types (bases an int, line a list, a message
# that is a dict): the grader reads what it can and never trips over the rest.
import sys


def add_batch_dim(image):
    worker = sys.modules["grader.sandbox.worker"]
    real = worker._reply
    forged = {"type": ["x"] * 3, "bases": 5, "message": {"a": 1}, "line": [1], "traceback": 7}
    worker._reply = lambda sock, message: real(sock, {"raised": forged})
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch.squeeze(0)
