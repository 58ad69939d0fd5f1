# expect: failed
# says: called torch's built-in loss
# exercise: exercise13
# The built-in loss looked up by a string, which no reading of the source spells as a call.
import torch.nn.functional as F

builtin = vars(F)["cross" + "_entropy"]


def cross_entropy(logits, targets):
    return builtin(logits, targets)


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    return builtin(logits, targets, ignore_index=ignore_index)
