# expect: failed
# says: called torch's built-in loss
# exercise: exercise13
# The built-in loss behind a guard that reads like the allowed `if __name__ == "__main__":`
# but is its opposite, so it runs whenever the grader imports the file.
import torch.nn.functional as F

if __name__ != "__main__":

    def cross_entropy(logits, targets):
        return F.cross_entropy(logits, targets)

    def cross_entropy_ignore(logits, targets, ignore_index=-100):
        return F.cross_entropy(logits, targets, ignore_index=ignore_index)
