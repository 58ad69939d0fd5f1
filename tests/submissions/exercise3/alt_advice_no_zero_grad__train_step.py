# expect: passed
# mistake_no_zero_grad.py with the diagnosis of no_zero_grad applied literally
def train_step(model, loss_fn, optimizer, inputs, targets):
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    optimizer.zero_grad()
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
