# expect: error reason=protocol
# says: could not be read as plain data
# A forged answer: bytes that would run code in the grader if it unpickled them.
import pickle
import sys


class Payload:
    def __reduce__(self):
        return (exec, ("open('{PROOF}', 'w').write('a forged frame ran in the grader')",))


def add_batch_dim(image):
    codec = sys.modules["grader.sandbox.codec"]
    codec.encode = lambda value: pickle.dumps({"ok": Payload()})
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch.squeeze(0)
