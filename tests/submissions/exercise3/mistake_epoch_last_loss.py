# expect: failed mistake=returned_last_loss
def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch(model, loss_fn, optimizer, loader):
    model.train()
    for inputs, targets in loader:
        loss = train_step(model, loss_fn, optimizer, inputs, targets)
    return loss
