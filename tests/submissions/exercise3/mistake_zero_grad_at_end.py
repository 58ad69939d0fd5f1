# expect: failed mistake=zero_grad_at_end
def train_step(model, loss_fn, optimizer, inputs, targets):
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()  # ready for the next step
    return loss.item()


def train_epoch(model, loss_fn, optimizer, loader):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        total += train_step(model, loss_fn, optimizer, inputs, targets) * len(inputs)
        count += len(inputs)
    return total / count
