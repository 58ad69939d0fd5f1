# expect: passed
# mistake_naive_softmax.py with the diagnosis of naive_softmax applied literally
import torch


def cross_entropy(logits, targets):
    m = logits.max(1, keepdim=True).values
    logsumexp = m + torch.log(torch.sum(torch.exp(logits - m), dim=1, keepdim=True))
    log_probs = logits - logsumexp
    return -log_probs[torch.arange(len(targets)), targets].mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, lse - picked, torch.zeros_like(lse))
    return losses.sum() / keep.sum()
