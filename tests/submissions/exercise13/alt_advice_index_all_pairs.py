# expect: passed
# mistake_all_pairs.py with the diagnosis of index_all_pairs applied literally
import torch


def cross_entropy(logits, targets):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    B = logits.shape[0]
    return -log_probs[torch.arange(B), targets].mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, lse - picked, torch.zeros_like(lse))
    return losses.sum() / keep.sum()
