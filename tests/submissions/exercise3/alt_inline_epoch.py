# expect: passed
import numpy as np


def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad(set_to_none=False)
    predictions = model(inputs)
    loss = loss_fn(predictions, targets)
    value = loss.item()
    loss.backward()
    optimizer.step()
    return value


def train_epoch(model, loss_fn, optimizer, loader):
    model.train()
    losses, sizes = [], []
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        sizes.append(len(targets))
    return np.average(losses, weights=sizes)
