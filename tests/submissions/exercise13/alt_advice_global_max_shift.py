# expect: passed
# mistake_global_max.py with the diagnosis of global_max_shift applied literally
import torch


def cross_entropy(logits, targets):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs[torch.arange(len(targets)), targets].mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, lse - picked, torch.zeros_like(lse))
    return losses.sum() / keep.sum()
