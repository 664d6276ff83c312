import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { ErrorBanner } from '../components/error-banner';
import { useAction } from '../hooks/use-action';

/** Definitions export (a JSON download) and import (a file or pasted JSON, all or nothing). */
export function DefinitionsPage() {
  const { error, run } = useAction();
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [text, setText] = useState('');
  const download = () => {
    void run(async () => {
      const definitions = await api('GET', '/api/definitions');
      const url = URL.createObjectURL(new Blob([JSON.stringify(definitions, null, 2)], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `warren-definitions-${new Date().toISOString().slice(0, 10)}.json`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setNotice('Definitions exported.');
    });
  };
  const upload = (event: Event) => {
    event.preventDefault();
    setNotice(undefined);
    void run(async () => {
      await api('POST', '/api/definitions', JSON.parse(text));
      setNotice('Definitions imported.');
    });
  };
  const readFile = async (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (file) setText(await file.text());
  };
  return (
    <section>
      <h1>Definitions</h1>
      <ErrorBanner error={error} />
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      <div class="card">
        <h2>Export</h2>
        <button type="button" onClick={() => void download()}>
          Download definitions
        </button>
      </div>
      <form class="card" onSubmit={upload}>
        <h2>Import</h2>
        <input type="file" accept="application/json,.json" onChange={(e) => void readFile(e)} aria-label="Definitions file" />
        <textarea
          name="definitions"
          rows={8}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          placeholder='{"queues": [], "exchanges": [], "bindings": []}'
        />
        <button type="submit">Import definitions</button>
      </form>
    </section>
  );
}
