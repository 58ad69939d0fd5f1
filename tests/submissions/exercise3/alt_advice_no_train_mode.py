# expect: passed
# mistake_epoch_no_train_mode.py with the diagnosis of no_train_mode applied literally
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
        total += train_step(model, loss_fn, optimizer, inputs, targets) * len(inputs)
        count += len(inputs)
    return total / count
