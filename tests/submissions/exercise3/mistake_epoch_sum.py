# expect: failed mistake=sum_not_mean
def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch(model, loss_fn, optimizer, loader):
    model.train()
    epoch_loss = 0.0
    for inputs, targets in loader:
        epoch_loss += train_step(model, loss_fn, optimizer, inputs, targets)
    return epoch_loss
