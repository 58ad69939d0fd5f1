# expect: passed
# mistake_ignore_divides_by_batch.py with the diagnosis of ignore_batch_denominator applied literally
import torch


def cross_entropy(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, lse - picked, torch.zeros_like(lse))
    return losses.sum() / (targets != ignore_index).sum()
