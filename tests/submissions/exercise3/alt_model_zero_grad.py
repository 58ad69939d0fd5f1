# expect: passed
def train_step(model, loss_fn, optimizer, inputs, targets):
    model.zero_grad()
    outputs = model(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()
    optimizer.step()
    return float(loss)


def train_epoch(model, loss_fn, optimizer, loader):
    model.train(True)
    losses, sizes = [], []
    for batch in loader:
        inputs, targets = batch
        losses.append(train_step(model, loss_fn, optimizer, inputs, targets))
        sizes.append(inputs.size(0))
    return sum(loss * n for loss, n in zip(losses, sizes, strict=True)) / sum(sizes)
