# expect: passed
import torch


def cross_entropy(logits, targets):
    rows = torch.arange(logits.shape[0], device=logits.device)
    return (torch.logsumexp(logits, dim=-1) - logits[rows, targets]).mean()


def cross_entropy_ignore(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    # mean over an empty selection is nan, as in nn.CrossEntropyLoss
    return cross_entropy(logits[keep], targets[keep])
