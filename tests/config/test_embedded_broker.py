"""The development broker (no REDIS_URL): messages go through whole."""

from __future__ import annotations

from kombu import Connection


def test_messages_published_arrive_whole_with_nothing_left_behind(tmp_path):
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    with Connection(
        "filesystem://localhost/",
        transport="config.embedded_broker:Transport",
        transport_options=options,
    ) as connection:
        queue = connection.SimpleQueue("tasks")
        for number in range(3):
            queue.put({"number": number, "text": "é" * 1000})
        received = []
        for _ in range(3):
            message = queue.get(timeout=1)
            received.append(message.payload["number"])
            message.ack()
        queue.close()

    assert sorted(received) == [0, 1, 2]
    assert [path.name for path in tmp_path.iterdir()] == ["control"]  # no half-written files
