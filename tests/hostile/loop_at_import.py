# expect: error reason=timeout
# says: importing your file
while True:
    pass
