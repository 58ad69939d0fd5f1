# expect: failed mistake=ignore_not_masked
import torch


def cross_entropy(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return ((lse - picked) * keep).sum() / keep.sum()
