# expect: passed
# mistake_epoch_unweighted.py with the diagnosis of unweighted_mean applied literally
def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch(model, loss_fn, optimizer, loader):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        total += train_step(model, loss_fn, optimizer, inputs, targets) * inputs.shape[0]
        count += inputs.shape[0]
    return total / count
