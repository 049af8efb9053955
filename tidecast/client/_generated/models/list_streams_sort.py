from typing import Literal

ListStreamsSort = Literal["duration", "newest", "oldest", "price", "title"]

LIST_STREAMS_SORT_VALUES: set[ListStreamsSort] = {
    "duration",
    "newest",
    "oldest",
    "price",
    "title",
}


def check_list_streams_sort(value: str) -> ListStreamsSort:
    if value in LIST_STREAMS_SORT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_STREAMS_SORT_VALUES!r}")
