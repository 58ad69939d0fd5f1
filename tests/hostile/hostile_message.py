# expect: failed
# says: <script>
def add_batch_dim(image):
    raise ValueError("<script>alert('pwned')</script> \x1b[31mred\x1b[0m \x1b]0;title\x07")


def remove_batch_dim(batch):
    raise ValueError("<img src=x onerror=alert(1)>")
