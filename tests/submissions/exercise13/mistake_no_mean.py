# expect: failed mistake=no_mean
import torch


def cross_entropy(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    return lse - logits[torch.arange(len(targets)), targets]


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    losses = cross_entropy(logits, torch.where(keep, targets, 0))
    return (losses * keep).sum() / keep.sum()
