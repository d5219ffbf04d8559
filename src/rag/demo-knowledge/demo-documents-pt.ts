import type { DemoDocument } from "./demo-document.js";

/** Portuguese guides of the demo knowledge base (the seed example asks "Como funciona RAG?"). */
export const portugueseDemoDocuments: DemoDocument[] = [
	{
		sourceName: "como-funciona-rag.md",
		title: "Como funciona RAG no Parley?",
		text: `# Como funciona RAG no Parley?

RAG (retrieval-augmented generation, ou geração aumentada por recuperação) é a técnica que faz o modelo
responder com base nos seus documentos, e não apenas no que aprendeu no treino. No Parley, RAG funciona em três
etapas: indexação, recuperação e geração fundamentada.

## Indexação dos documentos

Quando você envia um documento (Markdown, texto, HTML, PDF, JSON ou CSV), o Parley extrai o texto, mantém os
títulos e divide o conteúdo em trechos (chunks) que seguem esses títulos. Cada trecho recebe uma entrada no
índice de palavras-chave e um vetor de embedding. O documento é gravado de uma só vez: ou fica pesquisável por
inteiro, ou não é gravado.

## Recuperação dos trechos

A cada pergunta, o Parley pesquisa os trechos que você pode ler: os seus documentos e as coleções
compartilhadas. A busca híbrida combina palavras-chave (termos exatos, nomes, códigos) com similaridade de
vetores (significado, sinônimos, outros idiomas) e fica com os melhores trechos.

## Respostas fundamentadas e citações

Os trechos recuperados entram no prompt de sistema do modelo, numerados, e o modelo responde a partir deles e
os cita com marcadores como [1]. A resposta traz a lista de citações com o documento, o trecho e a relevância.
Se os trechos não contêm a resposta, o modelo deve dizer isso em vez de inventar.`,
	},
	{
		sourceName: "o-que-e-o-parley.md",
		title: "O que é o Parley?",
		text: `# O que é o Parley?

O Parley é um backend auto-hospedável que dá aos usuários da sua aplicação chat autenticado com modelos de
linguagem (LLMs): contas e chaves de API, conversas com histórico e contagem de tokens, RAG sobre os documentos
de cada usuário, memória pessoal de fatos e preferências, e vários provedores de modelos com novas tentativas e
disjuntores (circuit breakers).

## Como começar

Sem nenhuma chave, o Parley usa um arquivo SQLite, um modelo simulado offline e um embedder local. Abra
\`/docs\` para ver a API interativa, envie documentos com \`POST /v1/documents\` e pergunte com \`POST /v1/chat\`
ou \`POST /v1/generate\`. Para usar um modelo real, defina uma variável como \`OPENAI_API_KEY\` e reinicie.`,
	},
];
