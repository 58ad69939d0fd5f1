# expect: passed
# mistake_no_mean.py with the diagnosis of no_mean applied literally
import torch


def _losses(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    return lse - logits[torch.arange(len(targets)), targets]


def cross_entropy(logits, targets):
    return _losses(logits, targets).mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    losses = _losses(logits, torch.where(keep, targets, 0))
    return (losses * keep).sum() / keep.sum()
