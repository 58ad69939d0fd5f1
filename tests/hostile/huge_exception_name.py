# expect: failed
# says: raised
# An exception class with a 25 MB name: names are cut on both sides of the channel, so the
# results files and the grader's memory stay small.
Huge = type("E" * 25_000_000, (ValueError,), {})


def add_batch_dim(image):
    raise Huge("boom")


def remove_batch_dim(batch):
    raise Huge("boom")
