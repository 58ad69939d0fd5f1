# expect: passed
# mistake_ignore_not_masked.py with the diagnosis of ignore_not_masked applied literally
import torch


def cross_entropy(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    safe = targets.clamp(min=0)
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, lse - picked, 0)
    return losses.sum() / keep.sum()
