# expect: passed
# mistake_uses_log_softmax.py with the diagnosis of forbidden_builtin applied literally
import torch


def cross_entropy(logits, targets):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs.gather(1, targets.unsqueeze(1)).mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, lse - picked, torch.zeros_like(lse))
    return losses.sum() / keep.sum()
