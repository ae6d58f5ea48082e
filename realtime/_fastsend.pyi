from array import array

from typing_extensions import Buffer

def send_all(fds: Buffer | array[int], frame: Buffer, /) -> list[tuple[int, int]]: ...
