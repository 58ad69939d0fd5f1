# expect: passed
# mistake_step_before_backward.py with the diagnosis of step_before_backward applied literally
def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
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
