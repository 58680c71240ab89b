let nextId = 1;

/** Live instances survive edits: methods and getters are replaced on every existing task. */
export class Task {
  #done = false;
  readonly id = nextId++;
  constructor(readonly title: string) {}

  finish(): void {
    this.#done = true;
  }

  get label(): string {
    return `${this.id}. ${this.title}${this.#done ? ' (done)' : ''}`;
  }
}

export let tasks: Task[] = [];
