# expect: passed
import torch


def train_step(model, loss_fn, optimizer, inputs, targets):
    for p in model.parameters():
        p.grad = None
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.detach().cpu().item()


def train_epoch(model, loss_fn, optimizer, loader):
    model.train()
    weighted = []
    for inputs, targets in loader:
        loss = train_step(model, loss_fn, optimizer, inputs, targets)
        weighted.append((loss, inputs.shape[0]))
    losses = torch.tensor([w[0] for w in weighted], dtype=torch.float64)
    sizes = torch.tensor([w[1] for w in weighted], dtype=torch.float64)
    return ((losses * sizes).sum() / sizes.sum()).item()
